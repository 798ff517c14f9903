import GatehouseFunctions
public import GatehouseRouting

/// The functions a configuration file can name in `routes[].function`.
///
/// Starts with the built-in ones; a service built on Gatehouse registers its own before loading the file:
///
/// ```swift
/// var functions = FunctionRegistry.builtIn
/// functions.register("greet", Greet())
/// ```
public struct FunctionRegistry: Sendable {
    private var functions: [String: any Function] = [:]

    /// An empty registry.
    public init() {}

    /// `hello`, `health` and `whoami`.
    public static var builtIn: FunctionRegistry {
        var registry = FunctionRegistry()
        registry.register("hello", Hello())
        registry.register("health", Health())
        registry.register("whoami", WhoAmI())
        return registry
    }

    /// Makes `function` available as `name`, replacing any function of that name.
    public mutating func register(_ name: String, _ function: some Function) {
        self.functions[name] = function
    }

    /// The registered names.
    public var names: Set<String> { Set(self.functions.keys) }

    /// The function registered as `name`.
    public subscript(name: String) -> (any Function)? { self.functions[name] }
}
