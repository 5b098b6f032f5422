#include "model/vision_tower.h"

#include <cstring>

#include "emonet/error.h"
#include "model/backends/cpu/quantize.h"

namespace emonet::model {

using cpu::DType;
using cpu::Linear;
using cpu::LinearSpec;
using cpu::PostOp;

namespace {

// Byte offset of element `i` in a buffer of type t.
inline void* at(const cpu::Buffer& b, std::int64_t i, DType t) {
  return b.as<char>() + i * std::int64_t(cpu::dtype_size(t));
}

std::vector<float> copy_of(const float* p, std::size_t n) {
  std::vector<float> v(p, p + n);
  cpu::release_mapped_pages(p, n * sizeof(float));
  return v;
}

}  // namespace

VisionTower::VisionTower(cpu::CpuContext& ctx, const VisionDims& d, const TensorLookup& lookup,
                         TowerPrecision precision)
    : ctx_(&ctx),
      dims_(d),
      precision_(precision),
      act_(precision == TowerPrecision::bf16 ||
                   (precision == TowerPrecision::int8 && cpu::cpu_has_native_bf16())
               ? DType::bf16
               : DType::f32),
      mm_(precision == TowerPrecision::int8 ? DType::s8 : act_) {
  if (d.hidden % d.heads != 0)
    throw Error("hidden_size " + std::to_string(d.hidden) + " is not a multiple of " +
                    std::to_string(d.heads) + " attention heads",
                {"config.json", 0, "vision_config.num_attention_heads"});
  if (d.image_size % d.patch_size != 0)
    throw Error("image_size is not a multiple of patch_size", {"config.json", 0, "patch_size"});
  const std::int64_t D = d.hidden, I = d.intermediate, N = d.tokens();
  const std::int64_t patch_in = d.channels * d.patch_size * d.patch_size;
  PostOp gelu = PostOp::gelu_tanh;
  switch (d.activation) {
    case Activation::gelu_tanh:
      gelu = PostOp::gelu_tanh;
      break;
    case Activation::gelu_erf:
      gelu = PostOp::gelu_erf;
      break;
    case Activation::quick_gelu:
      gelu = PostOp::quick_gelu;
      break;
    case Activation::relu:
      gelu = PostOp::relu;
      break;
  }

  // Linear from a tensor pair "<name>.weight" [out, in] / "<name>.bias" [out].
  auto linear = [&](const std::string& name, std::int64_t in, std::int64_t out, DType src,
                    DType dst, PostOp op, std::int64_t rows) {
    const float* w = lookup(name + ".weight", {out, in});
    const float* b = lookup(name + ".bias", {out});
    Linear l(ctx, LinearSpec{in, out, src, dst, op, rows}, w, b);
    cpu::release_mapped_pages(w, std::size_t(in * out) * sizeof(float));
    return l;
  };
  auto norm = [&](const std::string& name) {
    cpu::LayerNormParams p;
    p.gamma = copy_of(lookup(name + ".weight", {D}), std::size_t(D));
    p.beta = copy_of(lookup(name + ".bias", {D}), std::size_t(D));
    p.eps = d.layer_norm_eps;
    return p;
  };

  const std::string emb = "vision_model.embeddings.";
  {
    // The conv kernel [D, C, P, P] is a [D, C*P*P] matrix over im2col patches; the patch
    // embedding stays f32 in both precisions (it is 0.2 % of the work).
    const float* w =
        lookup(emb + "patch_embedding.weight", {D, d.channels, d.patch_size, d.patch_size});
    const float* b = lookup(emb + "patch_embedding.bias", {D});
    patch_ = Linear(ctx, LinearSpec{patch_in, D, DType::f32, DType::f32, PostOp::none, N}, w, b);
    cpu::release_mapped_pages(w, std::size_t(D * patch_in) * sizeof(float));
  }
  position_ = copy_of(lookup(emb + "position_embedding.weight", {N, D}), std::size_t(N * D));

  blocks_.reserve(std::size_t(d.layers));
  std::vector<float> qkv_w(std::size_t(3 * D * D)), qkv_b(std::size_t(3 * D));
  for (std::int64_t i = 0; i < d.layers; ++i) {
    const std::string p = "vision_model.encoder.layers." + std::to_string(i) + ".";
    Block blk;
    blk.ln1 = norm(p + "layer_norm1");
    blk.ln2 = norm(p + "layer_norm2");
    // Q, K and V projections fused into one [3D, D] matmul.
    const char* names[3] = {"q_proj", "k_proj", "v_proj"};
    for (int j = 0; j < 3; ++j) {
      const std::string n = p + "self_attn." + names[j];
      const float* w = lookup(n + ".weight", {D, D});
      std::memcpy(qkv_w.data() + j * D * D, w, sizeof(float) * std::size_t(D * D));
      std::memcpy(qkv_b.data() + j * D, lookup(n + ".bias", {D}), sizeof(float) * std::size_t(D));
      cpu::release_mapped_pages(w, sizeof(float) * std::size_t(D * D));
    }
    blk.qkv =
        Linear(ctx, LinearSpec{D, 3 * D, mm_, act_, PostOp::none, N}, qkv_w.data(), qkv_b.data());
    blk.out_proj = linear(p + "self_attn.out_proj", D, D, mm_, DType::f32, PostOp::residual_add, N);
    blk.fc1 = linear(p + "mlp.fc1", D, I, mm_, act_, gelu, N);
    blk.fc2 = linear(p + "mlp.fc2", I, D, mm_, DType::f32, PostOp::residual_add, N);
    blocks_.push_back(std::move(blk));
  }
  post_ln_ = norm("vision_model.post_layernorm");

  // MAP head. The probe is a constant, so its query projection is computed once here.
  const std::string h = "vision_model.head.";
  const float* probe = lookup(h + "probe", {1, 1, D});
  const float* in_w = lookup(h + "attention.in_proj_weight", {3 * D, D});
  const float* in_b = lookup(h + "attention.in_proj_bias", {3 * D});
  std::vector<float> query(static_cast<std::size_t>(D));
  for (std::int64_t o = 0; o < D; ++o) {
    double s = in_b[o];
    for (std::int64_t k = 0; k < D; ++k) s += double(in_w[o * D + k]) * double(probe[k]);
    query[std::size_t(o)] = float(s);
  }
  probe_query_.resize(std::size_t(D) * cpu::dtype_size(act_));
  if (act_ == DType::f32)
    std::memcpy(probe_query_.as(), query.data(), sizeof(float) * std::size_t(D));
  else
    cpu::convert_to_bf16(query.data(), probe_query_.as<std::uint16_t>(), std::size_t(D));
  // Rows D..3D of the packed in_proj are the K and V projections.
  head_kv_ = Linear(ctx, LinearSpec{D, 2 * D, act_, act_, PostOp::none, N}, in_w + D * D, in_b + D);
  cpu::release_mapped_pages(in_w, sizeof(float) * std::size_t(3 * D * D));
  head_out_ = linear(h + "attention.out_proj", D, D, act_, DType::f32, PostOp::none, 8);
  head_ln_ = norm(h + "layernorm");
  head_fc1_ = linear(h + "mlp.fc1", D, I, act_, act_, gelu, 8);
  head_fc2_ = linear(h + "mlp.fc2", I, D, act_, DType::f32, PostOp::residual_add, 8);
}

void VisionTower::matmul(cpu::Linear& l, std::int64_t rows, const void* src, void* dst,
                         ProfileAccumulator* profile, float src_scale) {
  ScopedOp op(profile, OpClass::matmul, 2.0 * double(rows * l.spec().in * l.spec().out));
  l.run(rows, src, dst, src_scale);
}

void VisionTower::encoder_matmul(cpu::Linear& l, std::int64_t rows, const void* src, void* dst,
                                 ProfileAccumulator* profile) {
  if (l.spec().src != DType::s8) return matmul(l, rows, src, dst, profile);
  const std::size_t n = std::size_t(rows * l.spec().in);
  quantized_.resize(n);
  float scale = 1.f;
  {
    ScopedOp op(profile, OpClass::conversion);
    scale = cpu::quantize_s8(src, act_, n, quantized_.as<std::int8_t>());
  }
  matmul(l, rows, quantized_.as(), dst, profile, scale);
}

void VisionTower::attend(std::int64_t batch, std::int64_t nq, const void* q, std::int64_t q_ld,
                         std::int64_t q_image_stride, const void* k, const void* v,
                         std::int64_t kv_ld, void* out, ProfileAccumulator* profile) {
  const std::int64_t N = dims_.tokens(), D = dims_.hidden;
  // QK^T and P·V: 2 * nq * N * D multiply-adds each per image.
  ScopedOp op(profile, OpClass::attention, 4.0 * double(batch * nq * N * D));
  cpu::FlashAttentionArgs a;
  a.batch = batch;
  a.heads = dims_.heads;
  a.head_dim = dims_.head_dim();
  a.nq = nq;
  a.nk = N;
  a.q = q;
  a.q_ld = q_ld;
  a.q_batch_stride = q_image_stride;
  a.k = k;
  a.v = v;
  a.kv_ld = kv_ld;
  a.kv_batch_stride = N * kv_ld;
  a.out = out;
  a.out_ld = D;
  a.out_batch_stride = nq * D;
  a.bf16 = act_ == DType::bf16;
  cpu::flash_attention(a);
}

void VisionTower::patch_embed(const float* pixels, std::int64_t batch,
                              ProfileAccumulator* profile) {
  const std::int64_t C = dims_.channels, P = dims_.patch_size, S = dims_.image_size;
  const std::int64_t G = dims_.grid(), N = dims_.tokens(), D = dims_.hidden;
  const std::int64_t row = C * P * P;
  patches_.resize(std::size_t(batch * N * row) * sizeof(float));
  float* out = patches_.as<float>();
  {
    ScopedOp op(profile, OpClass::conversion);
    // im2col: token (gy, gx) gets its patch flattened in the conv kernel's (c, ky, kx) order.
#pragma omp parallel for collapse(2) schedule(static)
    for (std::int64_t b = 0; b < batch; ++b)
      for (std::int64_t gy = 0; gy < G; ++gy)
        for (std::int64_t gx = 0; gx < G; ++gx) {
          float* dst = out + ((b * N) + gy * G + gx) * row;
          for (std::int64_t c = 0; c < C; ++c)
            for (std::int64_t ky = 0; ky < P; ++ky) {
              const float* src = pixels + ((b * C + c) * S + gy * P + ky) * S + gx * P;
              std::memcpy(dst + (c * P + ky) * P, src, sizeof(float) * std::size_t(P));
            }
        }
  }
  matmul(patch_, batch * N, patches_.as(), x_.as(), profile);
  ScopedOp op(profile, OpClass::other);
  float* x = x_.as<float>();
  const float* pos = position_.data();
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < batch * N; ++r)
    for (std::int64_t i = 0; i < D; ++i) x[r * D + i] += pos[(r % N) * D + i];
}

void VisionTower::forward(const float* pixels, std::int64_t batch, float* pooled,
                          ProfileAccumulator* profile) {
  const std::int64_t D = dims_.hidden, I = dims_.intermediate, N = dims_.tokens();
  const std::int64_t M = batch * N;
  const std::size_t es = cpu::dtype_size(act_);
  x_.resize(std::size_t(M * D) * sizeof(float));
  normed_.resize(std::size_t(M * D) * es);
  qkv_.resize(std::size_t(M * 3 * D) * es);
  attn_.resize(std::size_t(M * D) * es);
  mid_.resize(std::size_t(M * I) * es);
  auto norm = [&](const cpu::LayerNormParams& p, const float* in, std::int64_t rows, void* out) {
    ScopedOp op(profile, OpClass::norm);
    cpu::layer_norm(p, in, rows, out, act_);
  };

  patch_embed(pixels, batch, profile);
  float* x = x_.as<float>();
  for (auto& blk : blocks_) {
    norm(blk.ln1, x, M, normed_.as());
    encoder_matmul(blk.qkv, M, normed_.as(), qkv_.as(), profile);
    // Q, K, V are columns [0, D), [D, 2D), [2D, 3D) of each image's [N, 3D] rows.
    attend(batch, N, qkv_.as(), 3 * D, N * 3 * D, at(qkv_, D, act_), at(qkv_, 2 * D, act_), 3 * D,
           attn_.as(), profile);
    encoder_matmul(blk.out_proj, M, attn_.as(), x, profile);
    norm(blk.ln2, x, M, normed_.as());
    encoder_matmul(blk.fc1, M, normed_.as(), mid_.as(), profile);
    encoder_matmul(blk.fc2, M, mid_.as(), x, profile);
  }
  norm(post_ln_, x, M, normed_.as());

  // MAP head: one learned query attends over each image's tokens.
  matmul(head_kv_, M, normed_.as(), qkv_.as(), profile);  // [M, 2D]: K then V per row
  pooled_attn_.resize(std::size_t(batch * D) * es);
  attend(batch, 1, probe_query_.as(), D, 0, qkv_.as(), at(qkv_, D, act_), 2 * D, pooled_attn_.as(),
         profile);
  matmul(head_out_, batch, pooled_attn_.as(), pooled, profile);  // a = out_proj(attention)
  norm(head_ln_, pooled, batch, normed_.as());
  matmul(head_fc1_, batch, normed_.as(), mid_.as(), profile);
  matmul(head_fc2_, batch, mid_.as(), pooled, profile);  // pooled = a + mlp(LN(a))
}

std::string VisionTower::kernels(std::int64_t batch) {
  const std::int64_t M = batch * dims_.tokens();
  auto& b = blocks_.front();
  return "qkv " + b.qkv.implementation(M) + ", fc1 " + b.fc1.implementation(M) + ", fc2 " +
         b.fc2.implementation(M);
}

}  // namespace emonet::model
