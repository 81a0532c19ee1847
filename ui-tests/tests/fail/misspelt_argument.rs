use scw_private::scw_private;

#[scw_private(contianer)]
async fn restart() -> &'static str {
    "restarting"
}

fn main() {}
