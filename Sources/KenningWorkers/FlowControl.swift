
public enum FlowControl: UInt8, Sendable {
    case request = 0, requestRetransmit, acknowledge, transmission
}
