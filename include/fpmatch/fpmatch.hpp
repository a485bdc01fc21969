// fpmatch: umbrella header of the C++ API.
#pragma once

#include "fpmatch/calibration.hpp"
#include "fpmatch/engine.hpp"
#include "fpmatch/error.hpp"
#include "fpmatch/evaluation.hpp"
#include "fpmatch/first_stage.hpp"
#include "fpmatch/formats.hpp"
#include "fpmatch/gallery.hpp"
#include "fpmatch/identification.hpp"
#include "fpmatch/matcher.hpp"
#include "fpmatch/runtime.hpp"
#include "fpmatch/shard.hpp"
#include "fpmatch/synth.hpp"
#include "fpmatch/template.hpp"
#include "fpmatch/version.h"
