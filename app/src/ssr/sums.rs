//! Sums of money columns that cannot overflow on either engine.
//!
//! Amounts are stored as BIGINT minor units. `SUM` over many rows can pass
//! what a BIGINT holds (SQLite then fails the query with "integer
//! overflow", PostgreSQL's NUMERIC sum fails when cast back), and one
//! member's absurd drafts would break every total of the organization. So
//! each sum is taken in two parts: the whole billions of each amount and the
//! rest. Each part stays inside a BIGINT for any realistic number of rows (a
//! billion rows of the largest BIGINT), and the two are joined exactly as an
//! `i128` in Rust. Integer division and remainder truncate toward zero on
//! both engines, so negative amounts split and join exactly too.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func};

const SPLIT: i64 = 1_000_000_000;

/// `SUM(expr)` read as a BIGINT on both engines (PostgreSQL sums BIGINT as
/// NUMERIC).
pub fn sum_as_bigint(expr: Expr) -> Expr {
    Expr::from(Func::cast_as(Func::sum(expr), Alias::new("BIGINT")))
}

/// The two columns to select for the sum of `amount`: its billions and its
/// remainders. Read them as `Option<i64>` (NULL when no row matched) and
/// give them to [`joined`].
pub fn split_sum(amount: Expr) -> (Expr, Expr) {
    (
        sum_as_bigint(amount.clone().div(SPLIT)),
        sum_as_bigint(amount.modulo(SPLIT)),
    )
}

/// The exact sum from the parts [`split_sum`] selected.
pub fn joined(billions: Option<i64>, rest: Option<i64>) -> i128 {
    i128::from(billions.unwrap_or(0)) * i128::from(SPLIT) + i128::from(rest.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_join_to_the_exact_sum_for_any_sign() {
        for amount in [
            0_i64,
            1,
            -1,
            999_999_999,
            -1_000_000_001,
            i64::MAX,
            i64::MIN,
        ] {
            let (billions, rest) = (amount / SPLIT, amount % SPLIT);
            assert_eq!(joined(Some(billions), Some(rest)), i128::from(amount));
        }
        assert_eq!(joined(None, None), 0);
    }
}
