# bench/wire_bench: encoding of the views queuecastd pushes and answers, the
# direct writers against the protobuf path (docs/benchmarks.md, "View
# encoding").
add_executable(wire_bench ${CMAKE_CURRENT_SOURCE_DIR}/wire_bench.cc)
target_link_libraries(wire_bench PRIVATE queuecast_server benchmark::benchmark)
