# The demo page of `emonet serve` (GET /), included from src/serve/CMakeLists.txt: demo.html
# is embedded into libemonet as a generated source defining
# emonet::serve::detail::demo_html(), which src/serve/demo_page.cpp fills and serves.

set(EMONET_SERVE_WEB_DIR ${CMAKE_CURRENT_LIST_DIR})
set(EMONET_DEMO_CPP ${CMAKE_CURRENT_BINARY_DIR}/demo_html.cpp)
add_custom_command(
  OUTPUT ${EMONET_DEMO_CPP}
  COMMAND ${CMAKE_COMMAND} -DINPUT=${EMONET_SERVE_WEB_DIR}/demo.html -DOUTPUT=${EMONET_DEMO_CPP}
          -DFUNCTION=emonet::serve::detail::demo_html -P
          ${EMONET_SERVE_WEB_DIR}/../embed_text.cmake
  DEPENDS ${EMONET_SERVE_WEB_DIR}/demo.html ${EMONET_SERVE_WEB_DIR}/../embed_text.cmake
  COMMENT "Embedding the serve demo page"
  VERBATIM)
# emonet is defined in the top directory, so the rule above needs a target in this one.
add_custom_target(emonet_serve_demo_page DEPENDS ${EMONET_DEMO_CPP})
add_dependencies(emonet emonet_serve_demo_page)
target_sources(emonet PRIVATE ${EMONET_DEMO_CPP})
