//! Tests of `batches`.
use super::*;
