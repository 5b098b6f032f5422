# The demo page of `emonet serve` (GET /), included from src/serve/CMakeLists.txt: demo.html
# is embedded into libemonet as a generated include that src/serve/demo_page.cpp compiles in.

set(EMONET_SERVE_WEB_DIR ${CMAKE_CURRENT_LIST_DIR})
set(EMONET_SERVE_GENERATED ${CMAKE_CURRENT_BINARY_DIR}/generated)
set(EMONET_DEMO_INC ${EMONET_SERVE_GENERATED}/serve/demo_html.inc)
add_custom_command(
  OUTPUT ${EMONET_DEMO_INC}
  COMMAND ${CMAKE_COMMAND} -DINPUT=${EMONET_SERVE_WEB_DIR}/demo.html -DOUTPUT=${EMONET_DEMO_INC}
          -P ${EMONET_SERVE_WEB_DIR}/embed_demo.cmake
  DEPENDS ${EMONET_SERVE_WEB_DIR}/demo.html ${EMONET_SERVE_WEB_DIR}/embed_demo.cmake
  COMMENT "Embedding the serve demo page"
  VERBATIM)
# emonet is defined in the top directory, so the rule above needs a target in this one.
add_custom_target(emonet_serve_demo_page DEPENDS ${EMONET_DEMO_INC})
add_dependencies(emonet emonet_serve_demo_page)
# Only demo_page.cpp includes the generated file: it alone gets the include path, and is
# rebuilt whenever the page changes.
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/../demo_page.cpp TARGET_DIRECTORY emonet
                            PROPERTIES INCLUDE_DIRECTORIES ${EMONET_SERVE_GENERATED}
                                       OBJECT_DEPENDS ${EMONET_DEMO_INC})
