import Dispatch
import Foundation
import KenningCore
import KenningModel

enum Activation: Equatable {
    case none, relu, sigmoid, tanh
    case clip(Float, Float)
    case leakyRelu(Float)
    /// min(max(alpha · x + beta, 0), 1)
    case hardSigmoid(Float, Float)
    /// x · min(max(x / 6 + 1/2, 0), 1)
    case hardSwish
    /// x · ½ · (1 + erf(x / √2))
    case gelu
    /// x · sigmoid(x)
    case silu
    /// scale · activation(x) + shift (a scalar scale and shift after the activation, folded in).
    indirect case scaled(Activation, scale: Float, shift: Float)

    /// The fused activation a node carries (`activation`, `activation_params`, and `activation_affine` = [scale, shift]).
    init(node: Node) throws {
        let inner = try Activation(name: node.string("activation") ?? "", params: NativeSession.fusedParams(node))
        if case let .floats(affine)? = node[attribute: "activation_affine"], affine.count == 2 {
            self = .scaled(inner, scale: affine[0], shift: affine[1])
        } else {
            self = inner
        }
    }

    init(name: String, params: [Float]) throws {
        switch name {
        case "", "Identity": self = .none
        case "Relu": self = .relu
        case "Sigmoid": self = .sigmoid
        case "Tanh": self = .tanh
        case "Clip": self = .clip(params.count > 0 ? params[0] : -.infinity, params.count > 1 ? params[1] : .infinity)
        case "LeakyRelu": self = .leakyRelu(params.first ?? 0.01)
        case "HardSigmoid": self = .hardSigmoid(params.count > 0 ? params[0] : 0.2, params.count > 1 ? params[1] : 0.5)
        case "HardSwish": self = .hardSwish
        case "Gelu": self = .gelu
        case "SiLU": self = .silu
        default: throw KernelError(reason: "unsupported fused activation \"\(name)\"")
        }
    }

    @inline(__always) func apply(_ x: Float) -> Float {
        switch self {
        case .none: return x
        case .relu: return x > 0 ? x : 0
        case .sigmoid: return 1 / (1 + expf(-x))
        case .tanh: return tanhf(x)
        case let .clip(lo, hi): return min(max(x, lo), hi)
        case let .leakyRelu(a): return x >= 0 ? x : a * x
        case let .hardSigmoid(a, b): return min(max(a * x + b, 0), 1)
        case .hardSwish: return x * min(max(x / 6 + 0.5, 0), 1)
        case .gelu: return 0.5 * x * (1 + erff(x * 0.70710678118654752))
        case .silu: return x / (1 + expf(-x))
        case let .scaled(a, scale, shift): return scale * a.apply(x) + shift
        }
    }
}
