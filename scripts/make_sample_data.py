"""Write sample_data/credit_risk.{csv,parquet} (5,000 seeded rows) and the trained sample model."""

import argparse
from pathlib import Path

import joblib

from batchsvc.scoring.sample import make_credit_risk, train_credit_risk

ROWS = 5_000
SEED = 42


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("sample_data"))
    parser.add_argument("--model", type=Path, help="also train and save the sample model here")
    parser.add_argument("--seed", type=int, default=SEED + 1,
                        help="the seed of the model's training rows: another seed trains another version")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    frame = make_credit_risk(ROWS, SEED)
    frame.to_csv(args.out / "credit_risk.csv", index=False)
    frame.to_parquet(args.out / "credit_risk.parquet", index=False, row_group_size=1_000)
    print(f"wrote {ROWS} rows to {args.out}/credit_risk.csv and .parquet")
    if args.model:
        args.model.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(train_credit_risk(make_credit_risk(20_000, args.seed)), args.model)
        print(f"trained the credit-risk pipeline into {args.model}")


if __name__ == "__main__":
    main()
