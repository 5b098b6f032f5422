# The annotation UI (pages + embedded web assets), included from src/annotate/CMakeLists.txt.
# Kept in its own file so the server's CMakeLists.txt and the UI's build rules change
# independently.

set(EMONET_WEB_DIR ${CMAKE_CURRENT_LIST_DIR})
# Every file the pages serve or render; adding a file here embeds it into the binary.
set(EMONET_WEB_ASSETS
    app.css app.js admin.js
    layout.html header.html login.html intensity.html binary.html compare.html
    admin.html admin_project.html)
list(TRANSFORM EMONET_WEB_ASSETS PREPEND ${EMONET_WEB_DIR}/ OUTPUT_VARIABLE EMONET_WEB_ASSET_PATHS)
set(EMONET_WEB_ASSETS_CPP ${CMAKE_CURRENT_BINARY_DIR}/web_assets.cpp)
add_custom_command(
  OUTPUT ${EMONET_WEB_ASSETS_CPP}
  COMMAND ${CMAKE_COMMAND} -DOUTPUT=${EMONET_WEB_ASSETS_CPP} -DASSET_DIR=${EMONET_WEB_DIR}
          "-DASSETS=${EMONET_WEB_ASSETS}" -P ${EMONET_WEB_DIR}/embed_assets.cmake
  DEPENDS ${EMONET_WEB_ASSET_PATHS} ${EMONET_WEB_DIR}/embed_assets.cmake
  COMMENT "Embedding the annotation UI's web assets"
  VERBATIM)
# emonet is defined in the top directory, so the rule above needs a target in this one.
add_custom_target(emonet_web_assets DEPENDS ${EMONET_WEB_ASSETS_CPP})
add_dependencies(emonet emonet_web_assets)

target_sources(emonet PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/../html.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../page_guard.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../page_layout.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../pages.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../pages_admin.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../pages_forms.cpp
  ${EMONET_WEB_ASSETS_CPP})
# The HTTP layer (event_server.cpp) is built by src/annotate/CMakeLists.txt.
