# Tidy: no committed file names a path outside the repository (docs and
# comments cite RDD's source or docs/, never the development machine's
# files), and the check's own tests, which plant bad files in a temporary
# tree and expect it to fail.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME tidy.paths
         COMMAND ${Python3_EXECUTABLE}
                 ${PROJECT_SOURCE_DIR}/tests/tools/check_paths.py
                 ${PROJECT_SOURCE_DIR}
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
add_test(NAME tidy.paths-selftest
         COMMAND ${Python3_EXECUTABLE}
                 ${PROJECT_SOURCE_DIR}/tests/tools/test_check_paths.py
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(tidy.paths tidy.paths-selftest PROPERTIES LABELS tidy)
