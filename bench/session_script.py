"""A realistic research session, as a script of what the person does.

A small classification study: load and look at data (a DataFrame, describe,
histograms), feature work, a training loop that prints a log with a progress
bar, loss curves and a confusion matrix as PNG figures, a typo that raises and
is fixed, then several rounds of "change the learning rate / epochs / features
and run it again", a results table, and notes in markdown. 36 cells, 77
executions. Each step is ``(cell_id, cell_type, source)``: a code cell is run
(its source edited first if it changed), a markdown cell is written. A new id
is a new cell, appended at the end, or ``after`` another cell.
"""

from __future__ import annotations

from typing import NamedTuple


class Step(NamedTuple):
    cell_id: str
    cell_type: str
    source: str
    after: str | None = None


IMPORTS = """import numpy as np
import pandas as pd
import matplotlib
import matplotlib.pyplot as plt
%matplotlib inline
np.set_printoptions(precision=4, suppress=True)"""

CONFIG = """config = dict(seed={seed}, n_samples=4000, n_features=24, noise=0.8)
rng = np.random.default_rng(config["seed"])
config"""

DATA = """X = rng.normal(size=(config["n_samples"], config["n_features"]))
true_w = rng.normal(size=config["n_features"]) * (rng.random(config["n_features"]) > 0.4)
logits = X @ true_w + config["noise"] * rng.normal(size=config["n_samples"])
y = (logits > 0).astype(int)
print(X.shape, y.mean())"""

FRAME = """df = pd.DataFrame(X[:, :10], columns=[f"f{i}" for i in range(10)])
df["label"] = y
df.head(12)"""

DESCRIBE = "df.describe().T"

HIST = """fig, axes = plt.subplots(2, 5, figsize=(12, 4.5))
for i, ax in enumerate(axes.flat):
    ax.hist(df[f"f{i}"][df.label == 0], bins=30, alpha=0.6, label="0")
    ax.hist(df[f"f{i}"][df.label == 1], bins=30, alpha=0.6, label="1")
    ax.set_title(f"f{i}")
axes[0, 0].legend()
plt.tight_layout()"""

CORR = """corr = df.corr()
plt.figure(figsize=(6, 5))
plt.imshow(corr, cmap="{cmap}", vmin=-1, vmax=1)
plt.colorbar()
plt.xticks(range(len(corr)), corr.columns, rotation=90)
plt.yticks(range(len(corr)), corr.columns)
plt.title("correlations")"""

SPLIT = """idx = rng.permutation(len(X))
cut = int({frac} * len(X))
train, test = idx[:cut], idx[cut:]
Xtr, ytr, Xte, yte = X[train], y[train], X[test], y[test]
print(len(train), len(test))"""

FEATURES = """def features(X):
    {body}

Ftr, Fte = features(Xtr), features(Xte)
Ftr.shape"""

MODEL = """def sigmoid(z):
    return 1 / (1 + np.exp(-z))

def train(F, y, lr, epochs, batch=64, l2={l2}, log_every=1):
    w = np.zeros(F.shape[1]); history = []
    steps = int(np.ceil(len(F) / batch))
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(F))
        for s in range(steps):
            b = order[s * batch:(s + 1) * batch]
            p = sigmoid(F[b] @ w)
            w -= lr * (F[b].T @ (p - y[b]) / len(b) + l2 * w)
            if s % 10 == 0:
                done = int(20 * (s + 1) / steps)
                print(f"\\repoch {{epoch:3d}} [{{'#' * done}}{{'.' * (20 - done)}}]", end="")
        p = sigmoid(F @ w)
        loss = -np.mean(y * np.log(p + 1e-9) + (1 - y) * np.log(1 - p + 1e-9))
        acc = np.mean((p > 0.5) == y)
        history.append((epoch, loss, acc))
        if epoch % log_every == 0:
            print(f"\\repoch {{epoch:3d}} loss={{loss:.4f}} acc={{acc:.4f}} lr={{lr}}")
    return w, history"""

TRAIN = """w, history = train(Ftr, ytr, lr={lr}, epochs={epochs})
hist = pd.DataFrame(history, columns=["epoch", "loss", "acc"])"""

CURVES = """fig, ax = plt.subplots(1, 2, figsize=(10, 3.5))
ax[0].plot(hist.epoch, hist.loss, "{style}"); ax[0].set_title("train loss")
ax[1].plot(hist.epoch, hist.acc, "{style}"); ax[1].set_title("train accuracy")
for a in ax: a.grid(True, alpha=0.3)"""

EVAL = """p_test = sigmoid(Fte @ w)
pred = (p_test > {threshold}).astype(int)
acc = (pred == yte).mean()
cm = pd.crosstab(pd.Series(yte, name="true"), pd.Series(pred, name="pred"))
print(f"test accuracy {{acc:.4f}}")
cm"""

CONFUSION = """plt.figure(figsize=(3.5, 3))
plt.imshow(cm.values, cmap="Blues")
for (i, j), v in np.ndenumerate(cm.values):
    plt.text(j, i, v, ha="center", va="center")
plt.xlabel("pred"); plt.ylabel("true"); plt.title(f"acc={{acc:.3f}}")"""

WEIGHTS = """coef = pd.Series(w[:{k}], index=[f"w{{i}}" for i in range({k})])
coef.sort_values().plot.barh(figsize=(5, 6))
plt.title("weights")"""

RESULTS_INIT = "results = []"

RECORD = """results.append(dict(lr={lr}, epochs={epochs}, features="{feat}",
                    train_acc=hist.acc.iloc[-1], test_acc=acc))
pd.DataFrame(results)"""

ROC = """thr = np.linspace(0, 1, 101)
tpr = [((p_test > t) & (yte == 1)).sum() / (yte == 1).sum() for t in thr]
fpr = [((p_test > t) & (yte == 0)).sum() / (yte == 0).sum() for t in thr]
plt.figure(figsize=(4, 4)); plt.plot(fpr, tpr); plt.plot([0, 1], [0, 1], "k--")
plt.xlabel("FPR"); plt.ylabel("TPR"); plt.title("ROC")"""

SWEEP = """sweep = []
for lr in [0.01, 0.03, 0.1, 0.3]:
    w_s, h_s = train(Ftr, ytr, lr=lr, epochs={epochs}, log_every={every})
    sweep.append((lr, h_s[-1][1], h_s[-1][2]))
pd.DataFrame(sweep, columns=["lr", "loss", "acc"])"""

SWEEP_PLOT = """s = pd.DataFrame(sweep, columns=["lr", "loss", "acc"])
plt.figure(figsize=(5, 3)); plt.semilogx(s.lr, s.acc, "o-"); plt.title("accuracy vs lr")"""

FEAT_LIN = "return np.c_[X, np.ones(len(X))]"
FEAT_SQ = "return np.c_[X, X[:, :6] ** 2, np.ones(len(X))]"
FEAT_INT = "return np.c_[X, X[:, :6] ** 2, X[:, 0:1] * X[:, 1:2], np.ones(len(X))]"


def _train_round(lr: float, epochs: int, feat: str, style: str, threshold: float) -> list[Step]:
    return [
        Step("train", "code", TRAIN.format(lr=lr, epochs=epochs)),
        Step("curves", "code", CURVES.format(style=style)),
        Step("eval", "code", EVAL.format(threshold=threshold)),
        Step("confusion", "code", CONFUSION),
        Step("record", "code", RECORD.format(lr=lr, epochs=epochs, feat=feat)),
    ]


def steps() -> list[Step]:
    """The whole session, in the order the person works."""
    s: list[Step] = [
        Step("title", "markdown", "# Linear baseline on the synthetic task\n\nFirst look."),
        Step("imports", "code", IMPORTS),
        Step("config", "code", CONFIG.format(seed=0)),
        Step("data", "code", DATA),
        Step("md-data", "markdown", "## Data", after="imports"),
        Step("frame", "code", FRAME),
        Step("describe", "code", DESCRIBE),
        Step("hist", "code", HIST),
        Step("corr", "code", CORR.format(cmap="RdBu")),
        Step("corr", "code", CORR.format(cmap="coolwarm")),
        Step("md-model", "markdown", "## Model\n\nLogistic regression, plain SGD."),
        Step("split", "code", SPLIT.format(frac=0.8)),
        Step("features", "code", FEATURES.format(body=FEAT_LIN)),
        Step("model", "code", MODEL.format(l2=0.0).replace("np.exp(-z))", "np.exp(-z)))")),
        Step("model", "code", MODEL.format(l2=0.0)),  # the typo above raised: fixed
        Step("results", "code", RESULTS_INIT),
    ]
    s += _train_round(0.1, 30, "linear", "-", 0.5)
    s += [
        Step("md-r1", "markdown", "Round 1: lr=0.1 converges, slightly underfit."),
        Step("weights", "code", WEIGHTS.format(k=25)),
        Step("roc", "code", ROC),
    ]
    s += _train_round(0.3, 30, "linear", "-", 0.5)
    s += _train_round(0.03, 60, "linear", ".-", 0.5)
    s += [
        Step("features", "code", FEATURES.format(body=FEAT_SQ)),
        Step("md-sq", "markdown", "Squares of the first six features.", after="features"),
    ]
    s += _train_round(0.1, 40, "squares", ".-", 0.5)
    s += [
        Step("weights", "code", WEIGHTS.format(k=31)),
        Step("roc", "code", ROC),
        Step("sweep", "code", SWEEP.format(epochs=15, every=5)),
        Step("sweep-plot", "code", SWEEP_PLOT),
        Step("sweep", "code", SWEEP.format(epochs=25, every=5)),
        Step("sweep-plot", "code", SWEEP_PLOT),
        Step("features", "code", FEATURES.format(body=FEAT_INT)),
    ]
    s += _train_round(0.1, 40, "interactions", "-", 0.5)
    s += [
        Step("model", "code", MODEL.format(l2=1e-3)),
        Step("md-l2", "markdown", "Add L2 (1e-3).", after="model"),
    ]
    s += _train_round(0.1, 40, "interactions+l2", "-", 0.5)
    s += [
        Step("eval", "code", EVAL.format(threshold=0.45)),
        Step("confusion", "code", CONFUSION),
        Step("roc", "code", ROC),
        Step("config", "code", CONFIG.format(seed=1)),
        Step("data", "code", DATA),
        Step("frame", "code", FRAME),
        Step("hist", "code", HIST),
        Step("split", "code", SPLIT.format(frac=0.75)),
        Step("features", "code", FEATURES.format(body=FEAT_INT)),
    ]
    s += _train_round(0.1, 40, "interactions+l2 seed1", "-", 0.5)
    s += [
        Step("weights", "code", WEIGHTS.format(k=32)),
        Step("summary", "code", "pd.DataFrame(results).sort_values('test_acc', ascending=False)"),
        Step("best", "code", "best = max(results, key=lambda r: r['test_acc'])\nbest"),
        Step("md-end", "markdown", "## Conclusion\n\nInteractions + L2 is best; next: trees."),
        Step("todo", "markdown", "- try gradient boosting\n- calibrate threshold"),
        Step("extra1", "code", "hist.tail(5)"),
        Step("extra2", "code", "len(results), best['lr']"),
        Step("extra3", "code", "%timeit -n 3 -r 3 sigmoid(Fte @ w)"),
        Step("extra4", "code", "Fte.mean(axis=0)[:8]"),
        Step("extra5", "code", "import sys; print(sys.version)"),
        Step("extra6", "code", "Ftr.std(axis=0)[:8]"),
    ]
    return s
