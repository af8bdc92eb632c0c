# The layers of docs/architecture.md, enforced twice:
#
# 1. Each layer's target sees only its own folder and what it links. A
#    layer's headers are reachable through a per-target include root in the
#    build tree that holds one link, to the layer's folder
#    (build/include/<target>/server/runtime -> <source>/server/runtime);
#    PUBLIC links carry the roots of lower layers upward. So an engine file
#    that includes "store/journal.h" or "server/..." fails to compile: no
#    include path leads there. Nothing adds the repository root to a layer's
#    include path.
# 2. scripts/check-layers reads every #include against the rule (also the
#    arrows inside server/, which links alone cannot tell apart) and runs
#    before any layer compiles (target check_layers), and as a ctest.

# qc_layer(<target> <folder>): <target>'s headers are "<folder>/...".
function(qc_layer target folder)
  set(root ${CMAKE_BINARY_DIR}/include/${target})
  get_filename_component(parent ${root}/${folder} DIRECTORY)
  file(MAKE_DIRECTORY ${parent})
  if(NOT EXISTS ${root}/${folder})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${folder} ${root}/${folder} SYMBOLIC)
  endif()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    target_include_directories(${target} INTERFACE ${root})
  else()
    target_include_directories(${target} PUBLIC ${root})
    add_dependencies(${target} check_layers)
  endif()
endfunction()

# The include rule, checked whenever a C++ file of the tree changes.
file(GLOB_RECURSE QC_LAYER_FILES CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/engine/*.h ${PROJECT_SOURCE_DIR}/engine/*.cc
     ${PROJECT_SOURCE_DIR}/planning/*.h ${PROJECT_SOURCE_DIR}/planning/*.cc
     ${PROJECT_SOURCE_DIR}/proto/*.h ${PROJECT_SOURCE_DIR}/proto/*.cc
     ${PROJECT_SOURCE_DIR}/store/*.h ${PROJECT_SOURCE_DIR}/store/*.cc
     ${PROJECT_SOURCE_DIR}/server/*.h ${PROJECT_SOURCE_DIR}/server/*.cc
     ${PROJECT_SOURCE_DIR}/cli/*.h ${PROJECT_SOURCE_DIR}/cli/*.cc)
add_custom_command(
  OUTPUT ${CMAKE_BINARY_DIR}/check_layers.stamp
  COMMAND ${PROJECT_SOURCE_DIR}/scripts/check-layers ${PROJECT_SOURCE_DIR}
  COMMAND ${CMAKE_COMMAND} -E touch ${CMAKE_BINARY_DIR}/check_layers.stamp
  DEPENDS ${QC_LAYER_FILES} ${PROJECT_SOURCE_DIR}/scripts/check-layers
  COMMENT "Checking the layer rule (scripts/check-layers)"
  VERBATIM)
add_custom_target(check_layers DEPENDS ${CMAKE_BINARY_DIR}/check_layers.stamp)
