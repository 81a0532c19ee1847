use scw_private::scw_private;

struct Request<T>(T);
struct Status;

struct Greeter;

impl Greeter {
    #[scw_private]
    async fn say_hello(&self, _: Request<()>) -> Result<(), Status> {
        Ok(())
    }

    #[scw_private]
    async fn say_goodbye(&self, request: Request<()>, extra: u8) -> Result<(), Status> {
        let _ = (request.0, extra);
        Ok(())
    }
}

fn main() {}
