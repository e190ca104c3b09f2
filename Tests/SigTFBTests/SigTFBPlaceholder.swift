import XCTest
@testable import SigTFB
