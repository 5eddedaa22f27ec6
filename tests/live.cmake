# Live mode (label live): `rddsim serve` against real clients on unix
# sockets in a private 0700 directory (tests/tools/live.py).  The docker
# CLIENT on PATH and python3-docker are used; no daemon is ever started and
# DOCKER_HOST always names the served socket.  Every case is bounded: each
# client call and wait has a timeout, and the test has one too.
#
# These tests wait on the wall clock (a scenario's timeline at --speed 2-3)
# and use little CPU.  The presets run 6 tests at once on the 2 cores, and
# each live test's COST (its seconds, measured) makes ctest start it first,
# so that they wait while the CPU-bound tests run beside them.
set(SIM_LIVE ${PROJECT_SOURCE_DIR}/tests/tools/live.py)
foreach(case same-verdict cli-head cli-fixed sdk malformed refuse-dir
             record)
  add_test(NAME live.${case}
           COMMAND ${Python3_EXECUTABLE} ${SIM_LIVE} $<TARGET_FILE:rddsim>
                   ${PROJECT_SOURCE_DIR} ${case})
  set_tests_properties(live.${case} PROPERTIES LABELS live TIMEOUT 180
                       COST 10)
endforeach()
set_tests_properties(live.record PROPERTIES COST 12)

# The Kubernetes API (tests/tools/live_kube.py): kubectl (skipped, exit 77,
# without it) and a stdlib client; KUBECONFIG names the served kubeconfig.
set(SIM_LIVE_KUBE ${PROJECT_SOURCE_DIR}/tests/tools/live_kube.py)
foreach(case kubectl-get kubectl-watch kubectl-delete kubectl-i1 kubectl-patch api
             record)
  add_test(NAME live.kube.${case}
           COMMAND ${Python3_EXECUTABLE} ${SIM_LIVE_KUBE}
                   $<TARGET_FILE:rddsim> ${PROJECT_SOURCE_DIR} ${case})
  set_tests_properties(live.kube.${case} PROPERTIES LABELS live TIMEOUT 180
                       SKIP_RETURN_CODE 77 COST 7)
endforeach()
set_tests_properties(live.kube.kubectl-watch live.kube.kubectl-delete
                     PROPERTIES COST 30)

# The load benchmark (tests/tools/live_bench.py), as a smoke run with small
# counts: it prints numbers and fails only if a request fails.
add_test(NAME bench.live.smoke
         COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/tools/live_bench.py
                 $<TARGET_FILE:rddsim>
                 ${PROJECT_SOURCE_DIR}/scenarios/collisions/dd-before-rdd.yaml
                 N=20 C=4 R=5)
set_tests_properties(bench.live.smoke PROPERTIES LABELS bench TIMEOUT 120)

# The watch fan-out benchmark (tests/tools/kube_watch_bench.py), as a smoke
# run with small counts: it prints numbers and fails only if a watcher
# misses an event.
add_test(NAME bench.live.kube-watch.smoke
         COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/tools/kube_watch_bench.py
                 $<TARGET_FILE:rddsim>
                 ${PROJECT_SOURCE_DIR}/scenarios/finalizers/delete-forwards-to-docker.yaml
                 N=8 K=20)
set_tests_properties(bench.live.kube-watch.smoke PROPERTIES LABELS bench
                     TIMEOUT 120)
