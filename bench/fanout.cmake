# Live push fan-out benchmark (scripts/bench-fanout): the floor sender and the
# load generator. Not tests; figures go to docs/benchmarks.md.
find_package(Boost 1.81 REQUIRED)
find_package(Threads REQUIRED)

# The floor: plain POSIX sockets and epoll, nothing else.
add_executable(floor_sender ${CMAKE_CURRENT_SOURCE_DIR}/floor_sender.cc)

# The load generator: Beast WebSocket/HTTP clients, one translation unit.
add_executable(loadgen ${CMAKE_CURRENT_SOURCE_DIR}/loadgen.cc)
target_link_libraries(loadgen PRIVATE queuecast_infra Boost::headers Threads::Threads)
