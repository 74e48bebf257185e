//! The lighed server library.
