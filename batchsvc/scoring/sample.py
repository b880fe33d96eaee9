"""The credit-risk sample: the 20 fields of the Watson ML lab, a seeded generator, and its pipeline."""

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

CATEGORIES = {
    "CheckingStatus": ["0_to_200", "less_0", "no_checking", "greater_200"],
    "CreditHistory": ["credits_paid_to_date", "prior_payments_delayed", "outstanding_credit",
                      "all_credits_paid_back", "no_credits"],
    "LoanPurpose": ["car_new", "car_used", "furniture", "radio_tv", "appliances", "repairs", "education",
                    "vacation", "retraining", "business", "other"],
    "ExistingSavings": ["less_100", "100_to_500", "500_to_1000", "greater_1000", "unknown"],
    "EmploymentDuration": ["less_1", "1_to_4", "4_to_7", "greater_7", "unemployed"],
    "Sex": ["female", "male"],
    "OthersOnLoan": ["none", "co-applicant", "guarantor"],
    "OwnsProperty": ["savings_insurance", "real_estate", "unknown", "car_other"],
    "InstallmentPlans": ["none", "bank", "stores"],
    "Housing": ["own", "free", "rent"],
    "Job": ["skilled", "unskilled", "management_self-employed", "unemployed"],
    "Telephone": ["none", "yes"],
    "ForeignWorker": ["yes", "no"],
}
NUMERIC = {  # name: (low, high) inclusive integers
    "LoanDuration": (4, 64), "LoanAmount": (250, 11_000), "InstallmentPercent": (1, 6),
    "CurrentResidenceDuration": (1, 6), "Age": (19, 74), "ExistingCreditsCount": (1, 4), "Dependents": (1, 2),
}
FIELDS = ["CheckingStatus", "LoanDuration", "CreditHistory", "LoanPurpose", "LoanAmount", "ExistingSavings",
          "EmploymentDuration", "InstallmentPercent", "Sex", "OthersOnLoan", "CurrentResidenceDuration",
          "OwnsProperty", "Age", "InstallmentPlans", "Housing", "ExistingCreditsCount", "Job", "Dependents",
          "Telephone", "ForeignWorker"]
WATSON_ROW = ["no_checking", 13, "credits_paid_to_date", "car_new", 1343, "100_to_500", "1_to_4", 2, "female",
              "none", 3, "savings_insurance", 46, "none", "own", 2, "skilled", 1, "none", "yes"]
RISKY = {"CheckingStatus": "less_0", "CreditHistory": "prior_payments_delayed", "ExistingSavings": "less_100",
         "EmploymentDuration": "less_1", "OthersOnLoan": "co-applicant", "Housing": "rent"}


def make_credit_risk(rows: int, seed: int = 42) -> pd.DataFrame:
    """A reproducible table: CustomerID, the 20 fields, and a Risk label that depends on them."""
    rng = np.random.default_rng(seed)
    data: dict = {"CustomerID": np.arange(1, rows + 1, dtype=np.int64)}
    for name in FIELDS:
        if name in NUMERIC:
            low, high = NUMERIC[name]
            data[name] = rng.integers(low, high + 1, rows)
        else:
            data[name] = np.asarray(CATEGORIES[name], dtype=object)[rng.integers(0, len(CATEGORIES[name]), rows)]
    frame = pd.DataFrame(data)
    score = (sum((frame[c] == v).to_numpy() * 0.9 for c, v in RISKY.items())
             + frame["LoanAmount"].to_numpy() / 4000 + frame["LoanDuration"].to_numpy() / 30
             - frame["Age"].to_numpy() / 40 + rng.normal(0, 0.8, rows) - 0.6)
    frame["Risk"] = np.where(score > 0, "Risk", "No Risk")
    return frame


def credit_risk_pipeline() -> Pipeline:
    return Pipeline([
        ("prep", ColumnTransformer([
            ("categorical", OneHotEncoder(handle_unknown="ignore"), list(CATEGORIES)),
            ("numeric", StandardScaler(), list(NUMERIC)),
        ])),
        ("model", LogisticRegression(max_iter=1000)),
    ])


def train_credit_risk(frame: pd.DataFrame) -> Pipeline:
    return credit_risk_pipeline().fit(frame[FIELDS], frame["Risk"])
