# bench/engine_bench: throughput of a mixed workload, call_next latency,
# full patient-view refresh, memory per ticket (docs/benchmarks.md, "Engine").
add_executable(engine_bench ${CMAKE_CURRENT_SOURCE_DIR}/engine_bench.cc)
target_link_libraries(engine_bench PRIVATE queuecast_engine benchmark::benchmark)
