# valgrind (label valgrind): ten scenarios from ten directories, each run
# once (seed 1, every variant) under memcheck with full leak checking.  Any
# memcheck error or definite/possible leak makes valgrind exit 99.  Only the
# release build registers these (memcheck cannot run a sanitized binary).
# Without valgrind the tests are skipped (exit 77), not failed;
# scripts/install-deps installs it.
find_program(SIM_VALGRIND valgrind)
set(SIM_VALGRIND_SCENARIOS
    bats/linux.yaml
    cleanup/stop-removes-mirrors.yaml
    collisions/dd-before-rdd.yaml
    contexts/npipe-probe.yaml
    finalizers/delete-forwards-to-docker.yaml
    generation/stale-observed-generation.yaml
    hazards/h03-bound-dead-pipe.yaml
    instances/two-then-one.yaml
    matrix/pipe-owners.yaml
    reports/instance-rd-already-exists.yaml)
foreach(rel ${SIM_VALGRIND_SCENARIOS})
  string(REGEX REPLACE "\\.yaml$" "" tname "${rel}")
  string(REPLACE "/" "." tname "${tname}")
  if(SIM_VALGRIND)
    add_test(NAME valgrind.${tname}
             COMMAND ${SIM_VALGRIND} --quiet --error-exitcode=99
                     --leak-check=full --errors-for-leak-kinds=definite,possible
                     $<TARGET_FILE:rddsim> run ${PROJECT_SOURCE_DIR}/scenarios/${rel}
                     --seed 1)
  else()
    add_test(NAME valgrind.${tname}
             COMMAND ${CMAKE_COMMAND} -E echo "valgrind is not installed: skipped")
    set_tests_properties(valgrind.${tname} PROPERTIES
                         SKIP_REGULAR_EXPRESSION "valgrind is not installed")
  endif()
  set_tests_properties(valgrind.${tname} PROPERTIES LABELS valgrind TIMEOUT 120)
endforeach()
