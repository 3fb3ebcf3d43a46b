/**
 * Pre-training a small decoder from scratch on English text that the package registries serve
 * (no GPT-style weights can be downloaded here): the corpora ({@link PretrainCorpus}), their
 * token stream ({@link TokenStream}) and the resumable training loop ({@link Pretrainer}) that
 * produces FedPipe's built-in base model. See docs/pretraining.md for sources and licences.
 */
package io.fedpipe.pretrain;
