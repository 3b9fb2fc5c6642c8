"""Every Java class Python names, written here once: the text's classes, the machinery around
them, DJL's, the JDK's, and the exceptions the translation rules (:mod:`.errors`) match. The
other modules of the bridge look classes up by these names (:func:`.classes.jclass`); no module
outside the bridge names a Java class (``tests/test_layout.py`` and ``tests/test_imports.py``
hold both)."""
from __future__ import annotations

#: The package of djl_bridge's own Java classes.
OWN_PACKAGE = "djlbridge."
#: The text's classes (package ``djlbridge``).
TIME_MACHINE = "djlbridge.TimeMachine"
TIME_MACHINE_DATASET = "djlbridge.TimeMachineDataset"
VOCAB = "djlbridge.Vocab"
RNN_MODEL = "djlbridge.RNNModel"
RNN_MODEL_SCRATCH = "djlbridge.RNNModelScratch"
MODEL_KIND = "djlbridge.ModelKind"
TRAIN_SETTINGS = "djlbridge.TrainSettings"
LANGUAGE_MODEL_TASK = "djlbridge.LanguageModelTask"
#: D2L 9.5-9.7 (package ``djlbridge.seq2seq``).
NMT = "djlbridge.seq2seq.NMT"
SEQ2SEQ = "djlbridge.seq2seq.Seq2Seq"
SEQ2SEQ_TASK = "djlbridge.seq2seq.Seq2SeqTask"
SEQ2SEQ_SETTINGS = "djlbridge.seq2seq.Seq2SeqSettings"
MASKED_SOFTMAX_CE_LOSS = "djlbridge.seq2seq.MaskedSoftmaxCELoss"
ENCODER_DECODER = "djlbridge.seq2seq.EncoderDecoder"
SEQ2SEQ_ENCODER = "djlbridge.seq2seq.Seq2SeqEncoder"
SEQ2SEQ_DECODER = "djlbridge.seq2seq.Seq2SeqDecoder"
#: The machinery around the text (package ``djlbridge.training``).
TRAINING_CONTROL = "djlbridge.training.TrainingControl"
PARAMETER_FILES = "djlbridge.training.ParameterFiles"
SESSION_LISTENER = "djlbridge.training.SessionListener"
#: The thread policy (package ``djlbridge.threads``).
THREAD_POLICY = "djlbridge.threads.ThreadPolicy"
#: The Java side's own exceptions.
DIVERGED = "djlbridge.training.DivergedException"
STOP_REQUESTED = "djlbridge.training.StopRequestedException"
#: The plain-java launcher (``java -cp … djlbridge.cli.Main``), used by the bench.
MAIN = "djlbridge.cli.Main"
#: DJL.
DEVICE = "ai.djl.Device"
ENGINE = "ai.djl.engine.Engine"
ENGINE_EXCEPTION = "ai.djl.engine.EngineException"
CUDA_UTILS = "ai.djl.util.cuda.CudaUtils"
NDLIST = "ai.djl.ndarray.NDList"
NDMANAGER = "ai.djl.ndarray.NDManager"
SHAPE = "ai.djl.ndarray.types.Shape"
SOFTMAX_CE_LOSS = "ai.djl.training.loss.SoftmaxCrossEntropyLoss"
PARAMETER_STORE = "ai.djl.training.ParameterStore"
#: The JDK.
JAVA_PATHS = "java.nio.file.Paths"
JAVA_SYSTEM = "java.lang.System"
JAVA_RANDOM = "java.util.Random"
JAVA_ARRAY_LIST = "java.util.ArrayList"
JAVA_COLLECTIONS = "java.util.Collections"
FLOAT_BUFFER = "java.nio.FloatBuffer"
BYTE_ARRAY_INPUT_STREAM = "java.io.ByteArrayInputStream"
IO_EXCEPTION = "java.io.IOException"
OUT_OF_MEMORY = "java.lang.OutOfMemoryError"
CHARACTER_CODING = "java.nio.charset.CharacterCodingException"
NO_SUCH_FILE = "java.nio.file.NoSuchFileException"
ILLEGAL_ARGUMENT = "java.lang.IllegalArgumentException"
