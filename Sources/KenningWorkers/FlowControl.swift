/// A message's flow-control field: a request, a request to retransmit, an acknowledgement, or a transmission.
public enum FlowControl: UInt8, Sendable {
    case request = 0, requestRetransmit, acknowledge, transmission
}
