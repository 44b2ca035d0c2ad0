"""scikit-learn estimators around glassgrad's MLP: `MLPClassifier` and `MLPRegressor`.

They follow scikit-learn's estimator rules, so they work in `Pipeline`, `GridSearchCV`,
`cross_val_score` and the rest of its model selection: parameters are stored as given,
`fit` validates and returns self, learned attributes end in `_`. After `fit`, `model_`
is the trained glassgrad `MLP` (draw it, plot it, save it) and `history_` its `History`.
Needs `pip install 'glassgrad[sklearn]'`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

try:
    import numpy as np
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.utils import check_random_state
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
except ImportError:  # pragma: no cover - the message is the point
    raise ImportError(
        "nn.sklearn needs scikit-learn (1.6 or newer): pip install 'glassgrad[sklearn]'"
    ) from None

from autograd import Value
from nn import losses, optim
from nn.activations import check_activation
from nn.callbacks import Callback
from nn.data import train_val_test_split
from nn.module import MLP
from nn.training import History, fit, predict

__all__ = ["MLPClassifier", "MLPRegressor"]

Loss = Callable[[Any, Any], Value]


class _GlassgradMLP(BaseEstimator):  # type: ignore[misc]
    """What both estimators share: the parameters, building the MLP and training it."""

    def __init__(
        self,
        hidden_layer_sizes: Sequence[int] = (16,),
        activation: str = "relu",
        optimizer: str = "adam",
        lr: float = 0.01,
        epochs: int = 50,
        batch_size: int | None = 32,
        weight_decay: float = 0.0,
        validation_fraction: float | None = None,
        callbacks: Iterable[Callback] | None = None,
        random_state: int | np.random.RandomState | None = None,
        verbose: bool = False,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose

    def _check_parameters(self) -> list[int]:
        """The parameters checked here, in `fit`, as scikit-learn asks (never in __init__)."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, int):
            sizes = (sizes,)
        if not isinstance(sizes, Sequence) or any(
            isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1 for n in sizes
        ):
            raise ValueError(f"hidden_layer_sizes must be a list of positive ints, got {sizes!r}")
        check_activation(self.activation)
        if self.optimizer not in ("sgd", "adam"):
            raise ValueError(f"optimizer must be 'sgd' or 'adam', got {self.optimizer!r}")
        if isinstance(self.epochs, bool) or not isinstance(self.epochs, (int, np.integer)):
            raise ValueError(f"epochs must be an int >= 1, got {self.epochs!r}")
        if self.epochs < 1:
            raise ValueError(f"epochs must be an int >= 1, got {self.epochs!r}")
        if self.batch_size is not None and (
            isinstance(self.batch_size, bool)
            or not isinstance(self.batch_size, (int, np.integer))
            or self.batch_size < 1
        ):
            raise ValueError(f"batch_size must be a positive int or None, got {self.batch_size!r}")
        fraction = self.validation_fraction
        if fraction is not None and not 0.0 < fraction < 1.0:
            raise ValueError(f"validation_fraction must be in (0, 1) or None, got {fraction!r}")
        return [int(n) for n in sizes]

    def _train(self, X: np.ndarray, targets: list[Any], outputs: int, loss: Loss) -> None:
        """Build `model_` and train it on the validated `X` and `targets`; set `history_`."""
        hidden = self._check_parameters()
        seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        model = MLP(X.shape[1], [*hidden, outputs], self.activation, seed=seed)
        params = model.parameters()
        if self.optimizer == "adam":
            optimizer: optim.Optimizer = optim.Adam(
                params, lr=self.lr, weight_decay=self.weight_decay
            )
        else:
            optimizer = optim.SGD(params, lr=self.lr, weight_decay=self.weight_decay)
        rows: list[list[float]] = X.tolist()
        val_data = None
        if self.validation_fraction is not None:
            (rows, targets), val_data, _ = train_val_test_split(
                rows, targets, val=self.validation_fraction, test=0.0, seed=seed
            )
        n = len(rows)
        history = fit(
            model,
            rows,
            targets,
            loss,
            optimizer,
            int(self.epochs),
            batch_size=None if self.batch_size is None else min(int(self.batch_size), n),
            val_data=val_data,
            metrics=self._metrics,
            progress=bool(self.verbose),
            seed=seed,
            callbacks=list(self.callbacks or ()),
        )
        self.model_: MLP = model
        self.history_: History = history
        self.n_iter_: int = history.epochs

    _metrics: tuple[str, ...] = ()

    def __sklearn_is_fitted__(self) -> bool:
        """Fitted once a fit has finished (a failed fit leaves no model behind)."""
        return hasattr(self, "model_")

    def _outputs(self, X: Any) -> np.ndarray:
        """The trained model's raw outputs on `X`, one row per example."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        out = np.asarray(predict(self.model_, X.tolist()), dtype=np.float64)
        return out.reshape(len(X), -1)


class MLPClassifier(ClassifierMixin, _GlassgradMLP):  # type: ignore[misc]
    """A glassgrad MLP classifier: one logit for two classes, one per class otherwise.

    Trained with binary cross-entropy on the logit (two classes) or cross-entropy over
    softmax (more); labels may be of any type, kept in `classes_`. `predict_proba` gives
    the class probabilities. Example: `MLPClassifier((16,), epochs=30).fit(X, y).score(X, y)`.
    """

    _metrics = ("accuracy",)

    def fit(self, X: Any, y: Any) -> MLPClassifier:
        """Train a fresh MLP on `(X, y)`; returns self."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        classes, indices = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"MLPClassifier needs at least 2 classes in y, got one class: {classes[0]!r}"
            )
        if len(classes) == 2:
            self._train(X, [float(i) for i in indices], 1, losses.binary_cross_entropy_with_logits)
        else:
            self._train(X, [int(i) for i in indices], len(classes), losses.cross_entropy)
        self.classes_: np.ndarray = classes
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """The logits: shape (n,) for two classes (> 0 means `classes_[1]`), else (n, k)."""
        out = self._outputs(X)
        return out[:, 0] if len(self.classes_) == 2 else out

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n, k), columns in the order of `classes_`."""
        logits = self._outputs(X)
        if len(self.classes_) == 2:
            positive = 1.0 / (1.0 + np.exp(-logits[:, 0]))
            return np.column_stack([1.0 - positive, positive])
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """The log of `predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))  # type: ignore[no-any-return]

    def predict(self, X: Any) -> np.ndarray:
        """The most likely class of each example, as a label from `classes_`."""
        logits = self._outputs(X)
        if len(self.classes_) == 2:
            return self.classes_[(logits[:, 0] > 0.0).astype(int)]  # type: ignore[no-any-return]
        return self.classes_[logits.argmax(axis=1)]  # type: ignore[no-any-return]


class MLPRegressor(RegressorMixin, _GlassgradMLP):  # type: ignore[misc]
    """A glassgrad MLP regressor trained on mean squared error; `y` may have several columns.

    Example: `make_pipeline(StandardScaler(), MLPRegressor((16,))).fit(X, y)`.
    """

    def fit(self, X: Any, y: Any) -> MLPRegressor:
        """Train a fresh MLP on `(X, y)`; returns self."""
        X, y = validate_data(self, X, y, dtype=np.float64, multi_output=True, y_numeric=True)
        targets = y.tolist() if y.ndim == 2 and y.shape[1] > 1 else y.reshape(-1).tolist()
        self._train(X, targets, 1 if y.ndim == 1 else y.shape[1], losses.mse)
        self._single_target = y.ndim == 1
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The predicted targets: shape (n,) for one target column, else (n, t)."""
        out = self._outputs(X)
        return out[:, 0] if self._single_target else out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
