//! TUF signature schemes (being written).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod canonical;
