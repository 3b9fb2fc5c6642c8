"""D2L section 9.1 (GRU) written the way the Java text reads, from Python via jpype.imports.

The GRU cell below is the text's ``gru`` function, line for line; the Java classes (dataset,
trainer, concise model) are the production ones. Run it from the repo root:

    python3 examples/gru_like_the_text.py --data ../shared/data/timemachine.txt --epochs 20
"""
from __future__ import annotations

import argparse
from pathlib import Path

import djl_bridge
from djl_bridge.data import locate_corpus

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data", type=Path, default=None)
parser.add_argument("--epochs", type=int, default=500)
parser.add_argument("--hidden", type=int, default=256)
parser.add_argument("--max-tokens", type=int, default=10000)
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--num-steps", type=int, default=35)
args = parser.parse_args()
data = locate_corpus(args.data)

djl_bridge.start()
import jpype.imports  # noqa: E402,F401 - after start(): Java packages become Python modules

from ai.djl.engine import Engine  # noqa: E402
from ai.djl.ndarray import NDArrays, NDList, NDManager  # noqa: E402
from ai.djl.ndarray.types import DataType, Shape  # noqa: E402
from ai.djl.nn import Activation  # noqa: E402
from ai.djl.nn.recurrent import GRU  # noqa: E402
from ai.djl.util import Pair  # noqa: E402
from djlbridge import RNNModel, RNNModelScratch, TimeMachine, TimeMachineDataset  # noqa: E402

Engine.getInstance().setRandomSeed(42)
manager = NDManager.newBaseManager()

batchSize = args.batch_size
numSteps = args.num_steps
dataset = (
    TimeMachineDataset.builder()
    .setManager(manager)
    .setMaxTokens(args.max_tokens)
    .setSampling(batchSize, False)
    .setSteps(numSteps)
    .setDataPath(str(data))
    .build()
)
dataset.prepare()
vocab = dataset.getVocab()


def normal(shape, device, m):
    return m.randomNormal(0.0, 0.01, shape, DataType.FLOAT32, device)


def three(numInputs, numHiddens, device, m):
    return NDList(
        normal(Shape(numInputs, numHiddens), device, m),
        normal(Shape(numHiddens, numHiddens), device, m),
        m.zeros(Shape(numHiddens), DataType.FLOAT32, device),
    )


def getParams(vocabSize, numHiddens, device, m):
    vocabSize, numHiddens = int(vocabSize), int(numHiddens)  # java.lang.Integer -> int
    numInputs = numOutputs = vocabSize
    W_xz, W_hz, b_z = three(numInputs, numHiddens, device, m)  # Update gate parameters
    W_xr, W_hr, b_r = three(numInputs, numHiddens, device, m)  # Reset gate parameters
    W_xh, W_hh, b_h = three(numInputs, numHiddens, device, m)  # Candidate hidden state
    W_hq = normal(Shape(numHiddens, numOutputs), device, m)  # Output layer parameters
    b_q = m.zeros(Shape(numOutputs), DataType.FLOAT32, device)
    return NDList(W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q)


def initGruState(batchSize, numHiddens, device, m):
    batchSize, numHiddens = int(batchSize), int(numHiddens)
    return NDList(m.zeros(Shape(batchSize, numHiddens), DataType.FLOAT32, device))


def gru(inputs, state, params):
    W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q = params
    H = state.get(0)
    outputs = NDList()
    for i in range(inputs.size(0)):
        X = inputs.get(i)
        Z = Activation.sigmoid(X.dot(W_xz).add(H.dot(W_hz).add(b_z)))
        R = Activation.sigmoid(X.dot(W_xr).add(H.dot(W_hr).add(b_r)))
        H_tilda = Activation.tanh(X.dot(W_xh).add(R.mul(H).dot(W_hh).add(b_h)))
        H = Z.mul(H).add(Z.mul(-1).add(1).mul(H_tilda))
        Y = H.dot(W_hq).add(b_q)
        outputs.add(Y)
    return Pair(NDArrays.concat(outputs) if outputs.size() > 1 else outputs.get(0), NDList(H))


vocabSize = vocab.length()
numHiddens = args.hidden
device = manager.getDevice()
numEpochs = args.epochs
lr = 1.0

model = RNNModelScratch(vocabSize, numHiddens, device, getParams, initGruState, gru, manager)
result = TimeMachine.trainCh8(model, dataset, vocab, lr, numEpochs, device, False, manager)
print("scratch:", result)
for prefix in TimeMachine.PREFIXES:
    print(result.getPredictions().get(prefix))

gruLayer = GRU.builder().setNumLayers(1).setStateSize(numHiddens).optReturnState(True) \
    .optBatchFirst(False).build()
modelConcise = RNNModel(gruLayer, vocab.length()).initialize(manager, device)
result = TimeMachine.trainCh8(modelConcise, dataset, vocab, lr, numEpochs, device, False, manager)
print("concise:", result)
for prefix in TimeMachine.PREFIXES:
    print(result.getPredictions().get(prefix))
manager.close()
