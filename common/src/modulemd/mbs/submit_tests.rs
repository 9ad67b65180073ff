//! Tests of `submit`.
use super::*;
