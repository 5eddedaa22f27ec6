# sim/explore: the scenario emitter's round trip and `rddsim shrink`
# (label explore; docs/shrink.md).
file(GLOB_RECURSE SIM_EXPLORE_SCEN CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/scenarios/*.yaml)
list(FILTER SIM_EXPLORE_SCEN EXCLUDE REGEX "/scenarios/profiles/")
list(SORT SIM_EXPLORE_SCEN)
add_executable(explore_roundtrip explore/roundtrip.c)
target_link_libraries(explore_roundtrip PRIVATE rddsim_core)
# Every shipped scenario: load -> emit -> load runs each variant at seed 1
# to the same trace hash and verdict (matrix files cell by cell).
foreach(file ${SIM_EXPLORE_SCEN})
  file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR}/scenarios ${file})
  string(REGEX REPLACE "\\.yaml$" "" tname "${rel}")
  string(REPLACE "/" "." tname "${tname}")
  add_test(NAME explore.emit-roundtrip.${tname}
           COMMAND explore_roundtrip ${file})
  set_tests_properties(explore.emit-roundtrip.${tname}
                       PROPERTIES LABELS explore)
endforeach()

# docker.api steps (no shipped scenario has one): their run matches its
# trace expectations, and load -> emit -> load keeps them.
add_test(NAME explore.emit-roundtrip.docker-api
         COMMAND explore_roundtrip ${PROJECT_SOURCE_DIR}/tests/explore/docker-api.yaml)
add_test(NAME explore.docker-api.run
         COMMAND rddsim run ${PROJECT_SOURCE_DIR}/tests/explore/docker-api.yaml)
set_tests_properties(explore.emit-roundtrip.docker-api explore.docker-api.run
                     PROPERTIES LABELS explore)

# rddsim shrink on one failing scenario per family: the result passes
# check, reproduces the first violation and is smaller.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(SIM_SHRINK_CHECK ${PROJECT_SOURCE_DIR}/tests/tools/shrink_check.py)
foreach(pair collisions/dd-before-rdd|head cleanup/lag-above-timeout|head
             reports/running-false-starting|head
             generation/stale-observed-generation|head
             hazards/h05-cross-daemon-delete|head
             instances/index-collision|head)
  string(REGEX REPLACE "\\|.*$" "" file "${pair}")
  string(REGEX REPLACE "^.*\\|" "" variant "${pair}")
  string(REPLACE "/" "." tname "${file}")
  add_test(NAME explore.shrink.${tname}.${variant}
           COMMAND ${Python3_EXECUTABLE} ${SIM_SHRINK_CHECK}
                   $<TARGET_FILE:rddsim>
                   ${PROJECT_SOURCE_DIR}/scenarios/${file}.yaml ${variant}
                   --twice)
  set_tests_properties(explore.shrink.${tname}.${variant}
                       PROPERTIES LABELS explore)
endforeach()
# Planted noise (20 steps, 3 faults, 500 containers) comes off entirely.
foreach(report running-false-starting running-false-starting-docker-desktop)
  add_test(NAME explore.shrink-noise.${report}
           COMMAND ${Python3_EXECUTABLE} ${SIM_SHRINK_CHECK}
                   $<TARGET_FILE:rddsim>
                   ${PROJECT_SOURCE_DIR}/scenarios/reports/${report}.yaml head
                   --noise ${PROJECT_SOURCE_DIR}/tests/tools/plant_noise.py)
  set_tests_properties(explore.shrink-noise.${report}
                       PROPERTIES LABELS explore)
endforeach()
# Bad input: a scenario that does not fail says so and exits 1.
add_test(NAME explore.shrink-not-failing
         COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/tools/expect.py
                 1 "variant fixed does not fail at seed 1: nothing to shrink" --
                 $<TARGET_FILE:rddsim> shrink
                 ${PROJECT_SOURCE_DIR}/scenarios/collisions/dd-before-rdd.yaml
                 --variant fixed)
add_test(NAME explore.shrink-unknown-variant
         COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/tools/expect.py
                 2 "shrink: --variant nope: not a variant" --
                 $<TARGET_FILE:rddsim> shrink
                 ${PROJECT_SOURCE_DIR}/scenarios/collisions/dd-before-rdd.yaml
                 --variant nope)
set_tests_properties(explore.shrink-not-failing explore.shrink-unknown-variant
                     PROPERTIES LABELS explore)
# --invariant targets a violation that is not the first: under
# accept-error-closes S3 breaks at 50s and L6 at 60s.
add_test(NAME explore.shrink-invariant
         COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/tools/expect.py
                 0 "^objects: 2 -> 1; keeps L6 on rancher-desktop-2 under accept-error-closes" --
                 $<TARGET_FILE:rddsim> shrink
                 ${PROJECT_SOURCE_DIR}/scenarios/hazards/h03-bound-dead-pipe.yaml
                 --variant accept-error-closes --invariant L6)
add_test(NAME explore.shrink-unknown-invariant
         COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/tools/expect.py
                 2 "shrink: --invariant S99: no such invariant" --
                 $<TARGET_FILE:rddsim> shrink
                 ${PROJECT_SOURCE_DIR}/scenarios/hazards/h03-bound-dead-pipe.yaml
                 --invariant S99)
set_tests_properties(explore.shrink-invariant explore.shrink-unknown-invariant
                     PROPERTIES LABELS explore)

# rddsim explain: golden chains, the causes the REPORT blocks name, and
# an RDD file:line for every event the models write.
foreach(mode golden causes cites)
  add_test(NAME explore.explain.${mode}
           COMMAND ${Python3_EXECUTABLE}
                   ${PROJECT_SOURCE_DIR}/tests/tools/explain_check.py
                   $<TARGET_FILE:rddsim> ${PROJECT_SOURCE_DIR} ${mode})
  set_tests_properties(explore.explain.${mode} PROPERTIES LABELS explore)
endforeach()
# The longest CPU-bound test (33 s under ASan): started early.
set_tests_properties(explore.explain.causes PROPERTIES COST 20)

# The generator (sim/explore/gen.c): every seed of every profile draws the
# same loadable world twice; worlds emit and reload to the same run.
add_executable(explore_gen explore/gen_worlds.c)
target_link_libraries(explore_gen PRIVATE rddsim_core)
file(GLOB SIM_PROFILES CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/scenarios/profiles/*.yaml)
list(SORT SIM_PROFILES)
foreach(prof ${SIM_PROFILES})
  get_filename_component(pname ${prof} NAME_WE)
  add_test(NAME explore.gen.${pname}.load COMMAND explore_gen ${prof} 1 1000)
  add_test(NAME explore.gen.${pname}.run COMMAND explore_gen ${prof} 1 20 --run)
  set_tests_properties(explore.gen.${pname}.load explore.gen.${pname}.run
                       PROPERTIES LABELS explore)
endforeach()

# rddsim explore (docs/explore.md): the sweep's output is the same for any
# --jobs and for 4 merged shards; emitted worlds replay to the sweep's
# trace hashes (RDDSIM_EXPLORE_ROUNDTRIP_SEEDS seeds; scripts/test-all runs
# 200); a worker's crash or hang is a finding with its seed.
set(SIM_EXPLORE_CHECK ${PROJECT_SOURCE_DIR}/tests/tools/explore_check.py)
if(NOT DEFINED RDDSIM_EXPLORE_ROUNDTRIP_SEEDS)
  set(RDDSIM_EXPLORE_ROUNDTRIP_SEEDS 20)
endif()
foreach(mode jobs shards crash hang resume)
  add_test(NAME explore.sweep.${mode}
           COMMAND ${Python3_EXECUTABLE} ${SIM_EXPLORE_CHECK}
                   $<TARGET_FILE:rddsim> ${mode})
endforeach()
add_test(NAME explore.sweep.roundtrip
         COMMAND ${Python3_EXECUTABLE} ${SIM_EXPLORE_CHECK}
                 $<TARGET_FILE:rddsim> roundtrip
                 --seeds ${RDDSIM_EXPLORE_ROUNDTRIP_SEEDS})
# Bad input: a malformed profile is file:line:col and exit 2; --out into an
# existing directory is refused without --resume.
add_test(NAME explore.sweep.bad-profile
         COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/tools/expect.py
                 2 "bad-profile.yaml:[0-9]+:[0-9]+: " --
                 $<TARGET_FILE:rddsim> explore --seeds 1
                 --profile ${PROJECT_SOURCE_DIR}/tests/explore/bad-profile.yaml
                 --out ${CMAKE_CURRENT_BINARY_DIR}/explore-bad-profile-out)
add_test(NAME explore.sweep.out-exists
         COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/tools/expect.py
                 2 "--out .*: exists \\(--resume" --
                 $<TARGET_FILE:rddsim> explore --seeds 1
                 --out ${CMAKE_CURRENT_BINARY_DIR})
add_test(NAME explore.sweep.bad-variant
         COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/tools/expect.py
                 2 "--variant nope: not a preset" --
                 $<TARGET_FILE:rddsim> explore --seeds 1 --variant nope
                 --out ${CMAKE_CURRENT_BINARY_DIR}/explore-bad-variant-out)
set_tests_properties(explore.sweep.jobs explore.sweep.shards
                     explore.sweep.crash explore.sweep.hang
                     explore.sweep.resume
                     explore.sweep.roundtrip explore.sweep.bad-profile
                     explore.sweep.out-exists explore.sweep.bad-variant
                     PROPERTIES LABELS explore)
# deploy/: the Indexed Job through kubectl's client-side dry run (skipped
# without kubectl) and the shard arithmetic of the Job and the CI matrix.
add_test(NAME explore.deploy.k8s-dry-run
         COMMAND ${Python3_EXECUTABLE}
                 ${PROJECT_SOURCE_DIR}/tests/tools/kubectl_dry_run.py
                 ${PROJECT_SOURCE_DIR}/deploy/k8s/explore-job.yaml)
set_tests_properties(explore.deploy.k8s-dry-run PROPERTIES
                     LABELS explore SKIP_RETURN_CODE 77)
foreach(pair ci|deploy/ci/explore-matrix.yml k8s|deploy/k8s/explore-job.yaml)
  string(REGEX REPLACE "\\|.*$" "" kind "${pair}")
  string(REGEX REPLACE "^.*\\|" "" file "${pair}")
  add_test(NAME explore.deploy.${kind}-shards
           COMMAND ${Python3_EXECUTABLE}
                   ${PROJECT_SOURCE_DIR}/tests/tools/deploy_check.py ${kind}
                   ${PROJECT_SOURCE_DIR}/${file})
  set_tests_properties(explore.deploy.${kind}-shards PROPERTIES LABELS explore)
endforeach()
