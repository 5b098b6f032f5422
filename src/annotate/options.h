// Settings of `emonet annotate serve`: ServerOptions lives in the public header.
#pragma once

#include "emonet/annotate.h"
