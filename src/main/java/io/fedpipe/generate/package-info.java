/**
 * Text generation with a {@link io.fedpipe.model.CausalLm}: batched greedy decoding and beam
 * search (width, length penalty, no-repeat n-grams, EOS, max new tokens) over the KV cache, on a
 * quantized base with adapters or on a merged model alike.
 */
package io.fedpipe.generate;
