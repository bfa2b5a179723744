//! The forms the workflow prints.
