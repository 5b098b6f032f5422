// The arithmetic around the networks, as the authors' Colab does it: L2 normalisation of
// the pooled embedding, neutral-mean subtraction, and the softmax over the 40 emotions
// (keys of the extra dimensions are excluded and get no softmax). Pure functions.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "emonet/model.h"

namespace emonet::model {

// out = a / max(|a|_2, tiny); a zero vector is divided by 1 (numpy `normalized()`).
void l2_normalise(const float* a, std::size_t n, float* out);

// One HeadScore per head: raw, raw - mean (in double), softmax over the non-extra heads'
// mean-subtracted values (double precision, max-shifted).
std::vector<HeadScore> score_heads(std::span<const Category* const> categories,
                                   std::span<const double> neutral_means,
                                   std::span<const float> raw);

}  // namespace emonet::model
