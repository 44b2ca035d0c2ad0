"""nn.sklearn: scikit-learn's own estimator checks, and the estimators at work in Pipeline,
GridSearchCV (in parallel) and cross_val_score."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from conftest import require

require("sklearn")
require("pandas")  # scikit-learn's checks feed DataFrames too; without pandas they skip

import numpy as np  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import _check_name, estimator_checks_generator  # noqa: E402

from nn import MLP, EarlyStopping, data  # noqa: E402
from nn.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

EXPECTED_FAILED_CHECKS = {
    "check_array_api_input": (
        "runs only with SCIPY_ARRAY_API=1 set before SciPy is first imported, which would "
        "change SciPy for the whole test session; the estimators turn every input into a "
        "NumPy float64 array and train on Python floats, so there is no array-API path"
    ),
}
"""Checks not run, with the reason (the README explains them too)."""

# Small and quick, yet enough to pass the checks that score a fit (accuracy > 0.83 on
# blobs, R² > 0.5 on a noisy line): every other check only needs a model that fits.
FAST = [MLPClassifier((4,), lr=0.05, epochs=3), MLPRegressor((4,), lr=0.1, epochs=6)]


def _checks() -> list[Any]:
    params = []
    for estimator in FAST:
        for instance, check in estimator_checks_generator(estimator):
            name = _check_name(check)
            if name not in EXPECTED_FAILED_CHECKS:
                params.append(
                    pytest.param(instance, check, id=f"{type(estimator).__name__}-{name}")
                )
    return params


@pytest.mark.parametrize(("estimator", "check"), _checks())
def test_scikit_learn_estimator_checks(estimator: Any, check: Any) -> None:
    check(estimator)


def test_the_expected_failures_are_few_and_real_check_names() -> None:
    names = {_check_name(c) for e in FAST for _, c in estimator_checks_generator(e)}
    assert set(EXPECTED_FAILED_CHECKS) <= names and len(EXPECTED_FAILED_CHECKS) <= 3


def _moons(n: int = 80) -> tuple[np.ndarray, np.ndarray]:
    X, y = data.make_moons(n, noise=0.1, seed=0)
    # Labels of any type: strings here, and features far from standardized.
    return np.array(X) * [50.0, 0.02] + [100.0, 3.0], np.array(["round", "square"])[y]


def test_pipeline_with_scaler_learns_string_labels_and_exposes_the_glassgrad_model() -> None:
    X, y = _moons()
    pipeline = make_pipeline(StandardScaler(), MLPClassifier((8,), lr=0.1, epochs=30,
                                                             random_state=0))  # fmt: skip
    assert pipeline.fit(X, y) is pipeline
    classifier = pipeline[-1]
    assert list(classifier.classes_) == ["round", "square"]
    assert set(pipeline.predict(X)) <= {"round", "square"}
    assert pipeline.score(X, y) > 0.9
    proba = pipeline.predict_proba(X)
    assert proba.shape == (80, 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert list(pipeline.predict(X)) == list(classifier.classes_[proba.argmax(axis=1)])
    assert isinstance(classifier.model_, MLP) and len(classifier.model_.parameters()) == 33
    assert classifier.history_.epochs == 30 == classifier.n_iter_
    assert classifier.history_["loss"][-1] < classifier.history_["loss"][0]


def test_three_classes_use_softmax_and_predict_proba_matches_it() -> None:
    X, y = data.make_moons(60, seed=1)
    labels = np.array(y) + 2 * (np.array(X)[:, 0] > 1.0)  # classes 0, 1, 2, 3 -> some 3
    classifier = MLPClassifier((6,), epochs=5, random_state=0).fit(X, labels)
    k = len(classifier.classes_)
    logits = classifier.decision_function(X)
    assert k >= 3 and logits.shape == (60, k) and classifier.model_.layers[-1].nout == k
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert np.allclose(classifier.predict_proba(X), expected, rtol=1e-12)


def test_grid_search_in_parallel_equals_the_sequential_search() -> None:
    X, y = _moons(40)
    grid = {"mlpclassifier__lr": [0.01, 0.1], "mlpclassifier__hidden_layer_sizes": [(4,), (8,)]}
    pipeline = make_pipeline(StandardScaler(), MLPClassifier(epochs=5, random_state=0))
    parallel = GridSearchCV(pipeline, grid, cv=2, n_jobs=-1).fit(X, y)
    sequential = GridSearchCV(pipeline, grid, cv=2, n_jobs=1).fit(X, y)
    assert len(parallel.cv_results_["params"]) == 4
    scores = parallel.cv_results_["mean_test_score"]
    assert list(scores) == list(sequential.cv_results_["mean_test_score"])
    assert parallel.best_params_ == sequential.best_params_
    assert parallel.best_estimator_[-1].history_.epochs == 5


def test_cross_val_score_is_reproducible_from_random_state() -> None:
    X, _ = _moons(40)
    regressor = make_pipeline(StandardScaler(), MLPRegressor((4,), epochs=5, random_state=3))
    targets = X[:, 0] / 50.0
    first = cross_val_score(regressor, X, targets, cv=3)
    assert len(first) == 3 and list(first) == list(cross_val_score(regressor, X, targets, cv=3))


def test_clone_keeps_parameters_and_pickle_keeps_the_fitted_model() -> None:
    X, y = _moons(30)
    classifier = MLPClassifier((4,), epochs=3, random_state=0, optimizer="sgd", lr=0.1)
    assert clone(classifier).get_params() == classifier.get_params()
    classifier.fit(X / 50.0, y)
    restored = pickle.loads(pickle.dumps(classifier))
    assert list(restored.predict_proba(X / 50.0).ravel()) == list(
        classifier.predict_proba(X / 50.0).ravel()
    )
    assert restored.model_.state_dict() == classifier.model_.state_dict()


def test_regressor_fits_several_targets_at_once() -> None:
    X = np.linspace(-1.0, 1.0, 30).reshape(-1, 1)
    Y = np.column_stack([2.0 * X[:, 0], -X[:, 0] + 0.5])
    regressor = MLPRegressor((8,), lr=0.05, epochs=60, batch_size=None, random_state=0)
    prediction = regressor.fit(X, Y).predict(X)
    assert prediction.shape == (30, 2) and regressor.score(X, Y) > 0.9


def test_early_stopping_on_a_validation_fraction() -> None:
    X, y = _moons(60)
    stopper = EarlyStopping("val_loss", patience=2)
    classifier = MLPClassifier((4,), lr=0.5, epochs=200, validation_fraction=0.25,
                               callbacks=[stopper], random_state=0)  # fmt: skip
    history = make_pipeline(StandardScaler(), classifier).fit(X, y)[-1].history_
    assert len(history["val_loss"]) == history.epochs < 200
    assert stopper.stopped_epoch == history.epochs - 1  # the callbacks given are the ones used


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"optimizer": "rmsprop"}, "optimizer must be 'sgd' or 'adam'"),
        ({"hidden_layer_sizes": (4, 0)}, "hidden_layer_sizes must be a list of positive ints"),
        ({"epochs": 0}, "epochs must be an int >= 1"),
        ({"batch_size": -1}, "batch_size must be a positive int or None"),
        ({"activation": "swish"}, "swish"),
        ({"validation_fraction": 1.5}, r"validation_fraction must be in \(0, 1\)"),
    ],
)
def test_bad_parameters_fail_in_fit_and_leave_the_estimator_unfitted(
    parameters: dict[str, Any], message: str
) -> None:
    classifier = MLPClassifier(**parameters)  # accepted as given, checked by fit
    with pytest.raises(ValueError, match=message):
        classifier.fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(NotFittedError):
        classifier.predict([[0.0]])
