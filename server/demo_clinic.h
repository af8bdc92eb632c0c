// The demo clinic of scripts/run: today's sessions (local time of the
// hospital, UTC+8) of a small outpatient department, plus the "web" booking
// channel. Pure: the commands to submit at `now`.
//
// Sessions "demo-<doctor>-<YYYYMMDD>" start at the hour before `now` (so the
// clinic is running whenever the demo starts) and last 4 hours with 60-minute
// slots; registration opens an hour before. Areas "neuro-2f" (two rooms) and
// "cardio-3f" (one room).
#pragma once

#include <vector>

#include "engine/command.h"

namespace qc::gw {

std::vector<Command> demo_clinic_commands(Time now);

}  // namespace qc::gw
