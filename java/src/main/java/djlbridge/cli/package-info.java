/**
 * The plain {@code java} launcher: {@link djlbridge.cli.Main} trains the language model with the
 * flags of {@code djl-bridge train}, through the same session as the bridge. It uses the text
 * ({@link djlbridge}: {@code TrainSettings}, {@code LanguageModelTask}) and the machinery ({@link
 * djlbridge.training}); nothing uses it.
 */
package djlbridge.cli;
