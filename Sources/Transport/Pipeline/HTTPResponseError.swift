/// An error that knows the response the client should get.
///
/// Thrown anywhere in the chain, it is answered with ``response``; every other error is logged and
/// answered with a 500 that carries no detail.
public protocol HTTPResponseError: Error {
    /// The response sent to the client.
    var response: Response { get }
}
