using System.Net;
using System.Net.Sockets;

namespace ConfigCluster.Server.Tests.Harness;

/// <summary>Hands out free loopback TCP ports, never the same one twice in a test run.</summary>
internal static class PortAllocator
{
    private static readonly HashSet<int> Given = [];

    public static int Next()
    {
        lock (Given)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (Given.Add(port))
                    return port;
            }
        }
    }
}
