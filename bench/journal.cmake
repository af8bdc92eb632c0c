# bench/journal_bench: group-commit throughput and ack latency of the stores,
# and recovery speed (docs/benchmarks.md, "Journal and recovery").
add_executable(journal_bench ${CMAKE_CURRENT_SOURCE_DIR}/journal_bench.cc
               ${PROJECT_SOURCE_DIR}/tests/journal/clinic.cc
               ${PROJECT_SOURCE_DIR}/tests/journal/test_redis.cc
               ${PROJECT_SOURCE_DIR}/tests/journal/test_server.cc
               ${PROJECT_SOURCE_DIR}/tests/journal/http_client.cc)
pkg_check_modules(QC_BENCH_HIREDIS REQUIRED IMPORTED_TARGET hiredis)
find_package(Threads REQUIRED)
target_link_libraries(journal_bench PRIVATE queuecast_store PkgConfig::QC_BENCH_HIREDIS Threads::Threads)
