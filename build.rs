//! The migrations are embedded in the binary (`diesel_migrations::embed_migrations!`): a new or
//! changed migration file must rebuild the crate, which cargo does not know by itself.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
