//! The build script of every crate that embeds `./migrations`: rebuilds it
//! when a migration is added or changed, which `sqlx::migrate!` (reading the
//! folder at compile time) cannot tell cargo itself.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
