/// Errors thrown by the Tuning module. Every message is one line naming the field or file at fault.
public enum TuningError: Error, CustomStringConvertible, Equatable {
    /// The search space is malformed (message names the parameter and the problem).
    case invalidSpace(String)
    /// A state file cannot be read or is inconsistent (message names the file and the field).
    case invalidState(String)
    /// A request that does not fit the current state (unknown trial, trial not pending, …).
    case invalidRequest(String)
    /// A numerical routine failed (LAPACK info code, non-finite numbers).
    case numerical(String)
    /// The state file cannot be written (the message names it and the directory).
    case io(String)

    public var description: String {
        switch self {
        case .invalidSpace(let m): return "invalid search space: \(m)"
        case .invalidState(let m): return "invalid tuner state: \(m)"
        case .invalidRequest(let m): return m
        case .numerical(let m): return "numerical failure: \(m)"
        case .io(let m): return m
        }
    }
}
