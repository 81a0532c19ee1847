use scw_private::{Rejection, scw_private};

fn as_text(rejection: Rejection) -> String {
    rejection.reason().to_string()
}

#[scw_private(on_reject = as_text)]
async fn handler() {}

fn main() {}
