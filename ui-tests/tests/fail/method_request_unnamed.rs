use scw_private::scw_private;

struct Request<T>(T);
struct Status;

trait Greeter {
    async fn say_hello(&self, request: Request<()>) -> Result<(), Status>;
    async fn say_goodbye(&self, request: Request<()>, extra: u8) -> Result<(), Status>;
}

struct MyGreeter;

#[scw_private]
impl Greeter for MyGreeter {
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
