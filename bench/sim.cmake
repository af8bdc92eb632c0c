# bench/sim_bench: simulated session-days per second on one core, through the
# real engine, on the shipped Tongji scenario (docs/benchmarks.md, "Simulator").
add_executable(sim_bench ${CMAKE_CURRENT_SOURCE_DIR}/sim_bench.cc
               ${PROJECT_SOURCE_DIR}/cli/sim_scenario.cc)
find_package(Boost 1.81 REQUIRED COMPONENTS json)
target_link_libraries(sim_bench PRIVATE queuecast_planning Boost::json benchmark::benchmark)
target_compile_definitions(sim_bench PRIVATE QC_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
