# EMONET_SANITIZE=ON instruments everything (library, tests, command) with ASan + UBSan.
if(EMONET_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
