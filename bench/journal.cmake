# bench/journal_bench: group-commit throughput and ack latency of the stores,
# and recovery speed (docs/benchmarks.md, "Journal and recovery"). Its clinic,
# redis-server, queuecastd and HTTP client are the tests' (tests/support/).
add_executable(journal_bench ${CMAKE_CURRENT_SOURCE_DIR}/journal_bench.cc)
pkg_check_modules(QC_BENCH_HIREDIS REQUIRED IMPORTED_TARGET hiredis)
find_package(Threads REQUIRED)
target_link_libraries(journal_bench PRIVATE queuecast_store queuecast_test_support
                      PkgConfig::QC_BENCH_HIREDIS Threads::Threads)
