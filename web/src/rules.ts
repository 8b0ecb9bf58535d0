/** Each optimiser's update rule, as the lectures write it (g = ∇C(θₜ)). */
export const UPDATE_RULES: Record<string, string[]> = {
  sgd: ['θ ← θ − η g'],
  momentum: ['v ← α v − η g', 'θ ← θ + v'],
  nesterov: ['v ← α v − η ∇C(θ + α v)', 'θ ← θ + v'],
  adagrad: ['r ← r + g ⊙ g', 'θ ← θ − η g / (√r + ε)'],
  rmsprop: ['r ← ρ r + (1 − ρ) g ⊙ g', 'θ ← θ − η g / (√r + ε)'],
  adadelta: ['r ← ρ r + (1 − ρ) g²', 'Δ = −(√(s + ε) / √(r + ε)) g', 's ← ρ s + (1 − ρ) Δ²', 'θ ← θ + η Δ'],
  adam: [
    'm ← β₁ m + (1 − β₁) g',
    'v ← β₂ v + (1 − β₂) g²',
    'm̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)',
    'θ ← θ − η m̂ / (√v̂ + ε)',
  ],
  adamw: ['m, v, m̂, v̂ as Adam', 'θ ← θ − η (m̂ / (√v̂ + ε) + λ θ)'],
  adamax: ['m ← β₁ m + (1 − β₁) g', 'u ← max(β₂ u, |g|)', 'θ ← θ − (η / (1 − β₁ᵗ)) m / (u + ε)'],
  nadam: ['m, v as Adam', 'θ ← θ − η (β₁ m̂ + (1 − β₁) g / (1 − β₁ᵗ)) / (√v̂ + ε)'],
  amsgrad: ['m, v as Adam', 'v̂max ← max(v̂max, v)', 'θ ← θ − η m̂ / (√v̂max + ε)'],
  rprop: ['Δᵢ ← Δᵢ·η⁺ if gᵢ gᵢ′ > 0, Δᵢ·η⁻ if < 0', 'θᵢ ← θᵢ − sign(gᵢ) Δᵢ'],
  quickprop: ['Δθ ← Δθ′ · g / (g′ − g)  (a secant step, growth ≤ μ)', 'θ ← θ + Δθ'],
  lbfgs: [
    'd = −H g  (H from the last m pairs s = Δθ, y = Δg)',
    'θ ← θ + η d  (η by a strong-Wolfe line search)',
  ],
  newton: ['θ ← θ − η (∇²C + λ I)⁻¹ g'],
};
