/**
 * D2L sections 9.5-9.7 on DJL, named as the Java text names them: the English-French data
 * ({@link djlbridge.seq2seq.NMT}), the encoder-decoder architecture ({@link
 * djlbridge.seq2seq.Encoder}, {@link djlbridge.seq2seq.Decoder}, {@link
 * djlbridge.seq2seq.EncoderDecoder}), the GRU encoder and decoder ({@link
 * djlbridge.seq2seq.Seq2SeqEncoder}, {@link djlbridge.seq2seq.Seq2SeqDecoder}), the masked loss
 * ({@link djlbridge.seq2seq.MaskedSoftmaxCELoss}), training, prediction and BLEU ({@link
 * djlbridge.seq2seq.Seq2Seq}); the run as a task of the training machinery ({@link
 * djlbridge.seq2seq.Seq2SeqTask}, {@link djlbridge.seq2seq.Seq2SeqSettings}).
 *
 * <p>Where the Java text departs from the book these classes follow the book (docs/seq2seq.md
 * lists each departure with its evidence). What depends on what: this package uses {@link
 * djlbridge.Vocab}, {@code djlbridge.training} (the session, one loop for every task) and DJL;
 * nothing in {@code djlbridge}, {@code djlbridge.training} or below uses it.
 */
package djlbridge.seq2seq;
