//! The calendar the workflow counts in: the Spring Festival of any year, working days.
