import XCTest
@testable import Tuning
